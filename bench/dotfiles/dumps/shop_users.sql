--
-- PostgreSQL database dump
--
SET statement_timeout = 0;
SET client_encoding = 'UTF8';

@@ALTER ROLE app WITH LOGIN PASSWORD '%{alnum:20}';

COPY public.customers (id, email, created_at) FROM stdin;
1	ann@corp.example	2024-01-03 10:00:00
2	ben@corp.example	2024-02-11 09:30:00
\.

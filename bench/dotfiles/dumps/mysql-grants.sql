-- MySQL dump 10.13  Distrib 8.0.36, for Linux (x86_64)
-- Host: db.corp.internal    Database: mysql
/*!40101 SET NAMES utf8mb4 */;
@@CREATE USER 'report'@'%' IDENTIFIED BY '%{alnum:14}';
GRANT SELECT ON shop.* TO 'report'@'%';
@@CREATE USER 'app'@'10.0.%' IDENTIFIED WITH mysql_native_password BY '%{=app-Pass-2021}';
GRANT ALL PRIVILEGES ON shop.* TO 'app'@'10.0.%';
FLUSH PRIVILEGES;

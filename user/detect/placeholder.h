/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* The placeholder filter: values that stand in for a secret are not reported as one. */
#ifndef CW_PLACEHOLDER_H
#define CW_PLACEHOLDER_H

#include <stdbool.h>
#include <stddef.h>

/*
 * True for values that stand in for a secret rather than being one: templates (${VAR},
 * {{ var }}, <your-key>, %(name)s, $(cmd), {name}), masks (****, xxxxxx), elisions (..., …),
 * documentation values (EXAMPLE, the documented example keys of AWS), values that spell
 * "password" (password1, P@55w0rd), and made-up sequences (12345678, abcdefgh, a1b2c3d4,
 * abcd1234defg5678).
 */
bool cw_is_placeholder(const char *s, size_t n);

#endif

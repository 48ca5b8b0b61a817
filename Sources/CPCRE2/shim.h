#ifndef HERALD_CPCRE2_SHIM_H
#define HERALD_CPCRE2_SHIM_H
/* PCRE2 for `where` filters' `matches`: 8-bit code units (UTF-8), JIT-compiled, with match limits. */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#endif

// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

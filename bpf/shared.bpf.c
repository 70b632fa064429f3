// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Only the maps every area shares (bpf/common.bpf.h), and no programs.
 * Loading this object creates them in a millisecond, without parsing the
 * kernel's BTF, so the area objects can then load side by side, each
 * reusing these maps.
 */
#include "common.bpf.h"

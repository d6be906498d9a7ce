// SPDX-License-Identifier: GPL-2.0
/*
 * tal_module.c - common/module.c (the module and signature-trailer parser)
 * compiled into talshim.ko as it is; kinc/ maps its <stddef.h> and
 * <stdint.h> onto the kernel's types.
 */
#include "module.c"

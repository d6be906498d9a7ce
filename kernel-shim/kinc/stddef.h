/* stddef.h - size_t and NULL for common/module.h, from the kernel's own. */
#ifndef TAL_KINC_STDDEF_H
#define TAL_KINC_STDDEF_H
#include <linux/types.h>
#include <linux/stddef.h>
#endif

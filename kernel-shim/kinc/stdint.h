/* stdint.h - common/module.h's fixed-width types, from the kernel's own. */
#ifndef TAL_KINC_STDINT_H
#define TAL_KINC_STDINT_H
#include <linux/types.h>
#endif

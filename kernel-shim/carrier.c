// SPDX-License-Identifier: GPL-2.0
/*
 * carrier.c - the carrier: a template module whose placeholders talload
 * fills with a signed TAL module before loading it (carrier_text.S holds
 * the placeholders).  At init it hands the code and the signed file to
 * talshim.ko, which refuses anything unsigned, tampered, untrusted or
 * checked against another interface; a refusal fails this init, so the
 * carrier does not stay loaded.
 */
#define pr_fmt(fmt) "talcarrier: " fmt

#include <linux/module.h>
#include "talshim.h"
#include "talshim_uapi.h"

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Carrier of a signed TAL module for talshim");

extern const u8 tal_carrier_text[];
extern const u8 tal_carrier_signed[];
extern struct tal_carrier_lens tal_carrier_lens;

static int __init tal_carrier_init(void)
{
	const struct tal_carrier_lens *l = &tal_carrier_lens;

	if (READ_ONCE(l->filled) != TAL_CARRIER_FILLED) {
		pr_err("%s: empty carrier: load a module with talload\n", THIS_MODULE->name);
		return -ENOEXEC;
	}
	if (l->signed_len > TAL_CARRIER_SIGNED_MAX) {
		pr_err("%s: the signed file's length is wrong\n", THIS_MODULE->name);
		return -EINVAL;
	}
	return talshim_register(THIS_MODULE, tal_carrier_text,
				TAL_KSTUB_AREA + TAL_CARRIER_IMAGE_MAX,
				tal_carrier_signed, l->signed_len);
}

static void __exit tal_carrier_exit(void)
{
	talshim_unregister(THIS_MODULE);
}

module_init(tal_carrier_init);
module_exit(tal_carrier_exit);

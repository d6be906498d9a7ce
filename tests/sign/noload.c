/*
** noload - runtime/sign.c built to load a libcrypto that does not exist
** (TAL_LIBCRYPTO names none): signing fails with a message that says so,
** twice alike (the load is tried once), and writes nothing.
*/
#include <stdio.h>
#include <string.h>

#include "talsign.h"

int main(void)
{
	static const uint8_t data[] = "bytes to sign";
	const char *want = "cannot load OpenSSL to sign: ";
	for (int i = 0; i < 2; i++) {
		char err[256] = "";
		uint8_t *der = (uint8_t *)"untouched";
		size_t n = 7;
		int r = talsig_pkcs7(data, sizeof data, "no.key", NULL, &der, &n, err, sizeof err);
		printf("%s\n", err);
		if (r != -1 || strncmp(err, want, strlen(want)) != 0 || !strstr(err, TAL_LIBCRYPTO) ||
		    strcmp((char *)der, "untouched") != 0 || n != 7) {
			printf("FAIL: attempt %d: %d, '%s'\n", i + 1, r, err);
			return 1;
		}
	}
	return 0;
}

/*
 * A software FIDO authenticator for OpenSSH's SecurityKeyProvider middleware interface
 * (sk-api.h, API 0x000a0000 as in OpenSSH 8.9 to 10.x), so the tests can run the real `ssh` and
 * `ssh-keygen -t ecdsa-sk` without hardware. ECDSA P-256 only. The key handle is the private
 * key itself (DER): nothing is stored anywhere else, and it is a test key.
 *
 * It signs what a U2F/CTAP2 authenticator signs, SHA256(application) || flags || counter ||
 * SHA256(message), and reports the flags OpenSSH asked for (user presence unless the key says
 * no-touch-required, verification if verify-required) unless SK_SOFT_FLAGS (a number) says
 * otherwise: that is how a test plays a key that was not touched.
 *
 * Built by the test: cc -shared -fPIC -o sk.so sk_soft_provider.c -lcrypto
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/ec.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/core_names.h>
#include <openssl/sha.h>
#include <openssl/x509.h>

/* The interface (OpenSSH sk-api.h): these layouts are the ABI ssh-sk-helper loads. */
#define SSH_SK_ECDSA 0x00
#define SSH_SK_ERR_GENERAL -1
#define SSH_SK_ERR_UNSUPPORTED -2
#define SSH_SK_VERSION_MAJOR 0x000a0000

struct sk_enroll_response {
	uint8_t flags;
	uint8_t *public_key;
	size_t public_key_len;
	uint8_t *key_handle;
	size_t key_handle_len;
	uint8_t *signature;
	size_t signature_len;
	uint8_t *attestation_cert;
	size_t attestation_cert_len;
	uint8_t *authdata;
	size_t authdata_len;
};

struct sk_sign_response {
	uint8_t flags;
	uint32_t counter;
	uint8_t *sig_r;
	size_t sig_r_len;
	uint8_t *sig_s;
	size_t sig_s_len;
};

struct sk_resident_key;
struct sk_option;

uint32_t sk_api_version(void);
int sk_enroll(uint32_t alg, const uint8_t *challenge, size_t challenge_len,
    const char *application, uint8_t flags, const char *pin,
    struct sk_option **options, struct sk_enroll_response **enroll_response);
int sk_sign(uint32_t alg, const uint8_t *data, size_t data_len,
    const char *application, const uint8_t *key_handle, size_t key_handle_len,
    uint8_t flags, const char *pin, struct sk_option **options,
    struct sk_sign_response **sign_response);
int sk_load_resident_keys(const char *pin, struct sk_option **options,
    struct sk_resident_key ***rks, size_t *nrks);

uint32_t
sk_api_version(void)
{
	return SSH_SK_VERSION_MAJOR;
}

int
sk_enroll(uint32_t alg, const uint8_t *challenge, size_t challenge_len,
    const char *application, uint8_t flags, const char *pin,
    struct sk_option **options, struct sk_enroll_response **out)
{
	struct sk_enroll_response *r = NULL;
	EVP_PKEY *pk = NULL;
	unsigned char *der = NULL;
	int der_len, ret = SSH_SK_ERR_GENERAL;

	(void)challenge; (void)challenge_len; (void)application; (void)pin; (void)options;
	if (out == NULL)
		return SSH_SK_ERR_GENERAL;
	*out = NULL;
	if (alg != SSH_SK_ECDSA)
		return SSH_SK_ERR_UNSUPPORTED;
	if ((pk = EVP_EC_gen("P-256")) == NULL ||
	    (r = calloc(1, sizeof(*r))) == NULL)
		goto out;
	r->flags = flags;
	/* The uncompressed point: 0x04 || X || Y. */
	if (EVP_PKEY_get_octet_string_param(pk, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY,
	    NULL, 0, &r->public_key_len) != 1 ||
	    (r->public_key = malloc(r->public_key_len)) == NULL ||
	    EVP_PKEY_get_octet_string_param(pk, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY,
	    r->public_key, r->public_key_len, &r->public_key_len) != 1)
		goto out;
	if ((der_len = i2d_PrivateKey(pk, &der)) <= 0 ||
	    (r->key_handle = malloc((size_t)der_len)) == NULL)
		goto out;
	memcpy(r->key_handle, der, (size_t)der_len);
	r->key_handle_len = (size_t)der_len;
	/* No attestation: ssh-keygen accepts an empty one. */
	if ((r->signature = calloc(1, 1)) == NULL)
		goto out;
	*out = r;
	r = NULL;
	ret = 0;
 out:
	if (r != NULL) {
		free(r->public_key);
		free(r->key_handle);
		free(r->signature);
		free(r);
	}
	OPENSSL_free(der);
	EVP_PKEY_free(pk);
	return ret;
}

int
sk_sign(uint32_t alg, const uint8_t *data, size_t data_len,
    const char *application, const uint8_t *key_handle, size_t key_handle_len,
    uint8_t flags, const char *pin, struct sk_option **options,
    struct sk_sign_response **out)
{
	struct sk_sign_response *r = NULL;
	EVP_PKEY *pk = NULL;
	EVP_MD_CTX *md = NULL;
	ECDSA_SIG *sig = NULL;
	const BIGNUM *sr, *ss;
	const unsigned char *p = key_handle;
	const unsigned char *q;
	unsigned char signed_buf[32 + 1 + 4 + 32], der[80];
	size_t der_len = sizeof(der);
	const char *forced = getenv("SK_SOFT_FLAGS");
	uint32_t counter = 1;
	int ret = SSH_SK_ERR_GENERAL;

	(void)pin; (void)options;
	if (out == NULL)
		return SSH_SK_ERR_GENERAL;
	*out = NULL;
	if (alg != SSH_SK_ECDSA)
		return SSH_SK_ERR_UNSUPPORTED;
	if ((pk = d2i_AutoPrivateKey(NULL, &p, (long)key_handle_len)) == NULL ||
	    (r = calloc(1, sizeof(*r))) == NULL)
		goto out;
	r->flags = forced != NULL ? (uint8_t)strtoul(forced, NULL, 0) : flags;
	r->counter = counter;
	SHA256((const unsigned char *)application, strlen(application), signed_buf);
	signed_buf[32] = r->flags;
	signed_buf[33] = (uint8_t)(counter >> 24);
	signed_buf[34] = (uint8_t)(counter >> 16);
	signed_buf[35] = (uint8_t)(counter >> 8);
	signed_buf[36] = (uint8_t)counter;
	SHA256(data, data_len, signed_buf + 37);
	if ((md = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, pk) != 1 ||
	    EVP_DigestSign(md, der, &der_len, signed_buf, sizeof(signed_buf)) != 1)
		goto out;
	q = der;
	if ((sig = d2i_ECDSA_SIG(NULL, &q, (long)der_len)) == NULL)
		goto out;
	ECDSA_SIG_get0(sig, &sr, &ss);
	r->sig_r_len = (size_t)BN_num_bytes(sr);
	r->sig_s_len = (size_t)BN_num_bytes(ss);
	if ((r->sig_r = calloc(1, r->sig_r_len)) == NULL ||
	    (r->sig_s = calloc(1, r->sig_s_len)) == NULL)
		goto out;
	BN_bn2bin(sr, r->sig_r);
	BN_bn2bin(ss, r->sig_s);
	*out = r;
	r = NULL;
	ret = 0;
 out:
	if (r != NULL) {
		free(r->sig_r);
		free(r->sig_s);
		free(r);
	}
	ECDSA_SIG_free(sig);
	EVP_MD_CTX_free(md);
	EVP_PKEY_free(pk);
	return ret;
}

int
sk_load_resident_keys(const char *pin, struct sk_option **options,
    struct sk_resident_key ***rks, size_t *nrks)
{
	(void)pin; (void)options; (void)rks; (void)nrks;
	return SSH_SK_ERR_UNSUPPORTED;
}

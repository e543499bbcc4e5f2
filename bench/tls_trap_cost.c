/* Cost of one probed OpenSSL call, probe traps included: SSL_do_handshake
 * on an SSL without a socket fails at once, without a syscall, so with
 * Loupe's uprobe + uretprobe attached the difference to an untraced run is
 * the price of the two traps plus the (early-returning) BPF programs.
 * Used by bench/tls_bench.sh. */
#include <openssl/ssl.h>
#include <stdio.h>
#include <time.h>

int main(void) {
  SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
  SSL* ssl = SSL_new(ctx);
  const int n = 200000;
  struct timespec a, b;
  clock_gettime(CLOCK_MONOTONIC, &a);
  for (int i = 0; i < n; i++) SSL_do_handshake(ssl);
  clock_gettime(CLOCK_MONOTONIC, &b);
  printf("%.0f\n", ((b.tv_sec - a.tv_sec) * 1e9 + (b.tv_nsec - a.tv_nsec)) / n);
  return 0;
}

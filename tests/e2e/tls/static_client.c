/* A TLS client with OpenSSL linked in statically (test_tls.sh): Loupe must
 * find SSL_read/SSL_write in the executable itself; stripped, it cannot,
 * and the connection must still work and not be reported as garbage.
 * Usage: static_client PORT PATH COUNT [GO_FILE] (one keep-alive connection;
 * GO_FILE: wait, up to 30 s, until it exists: the test creates it once the
 * agent says it attached to this program). */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/ssl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int main(int argc, char** argv) {
  if (argc != 4 && argc != 5) return 2;
  for (int i = 0; argc == 5 && access(argv[4], F_OK) != 0 && i < 600; i++) usleep(50000);
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(atoi(argv[1]))};
  inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
  if (connect(fd, (struct sockaddr*)&sa, sizeof sa)) return 1;
  SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
  SSL* ssl = SSL_new(ctx);
  SSL_set_fd(ssl, fd);
  if (SSL_connect(ssl) != 1) return 1;
  char req[512], resp[4096];
  snprintf(req, sizeof req, "GET %s HTTP/1.1\r\nHost: localhost\r\n\r\n", argv[2]);
  for (int i = 0; i < atoi(argv[3]); i++) {
    if (SSL_write(ssl, req, (int)strlen(req)) <= 0) return 1;
    int n = SSL_read(ssl, resp, sizeof resp - 1); /* `return` bodies fit one read */
    if (n <= 0) return 1;
    resp[n] = 0;
    if (strncmp(resp, "HTTP/1.1 ", 9)) return 1;
  }
  SSL_shutdown(ssl);
  close(fd);
  return 0;
}

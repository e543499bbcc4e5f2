/* A tiny ELF shaped like a Go program for the fuzzer's seed: a
 * .go.buildinfo section (Go 1.18+ inline form) and functions named like
 * crypto/tls.(*Conn).Read/Write with RET instructions. */
__attribute__((section(".go.buildinfo"), used)) static const char buildinfo[64] =
    "\xff Go buildinf:"
    "\x08\x02"
    "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0"
    "\x08"
    "go1.19.8";
__attribute__((used)) static const char itab[16] __asm__("\"go.itab.*net.TCPConn,net.Conn\"") = {1};
long tls_read(long n) __asm__("\"crypto/tls.(*Conn).Read\"");
long tls_read(long n) { return n > 3 ? n * 7 : n - 1; }
long tls_write(long n) __asm__("\"crypto/tls.(*Conn).Write\"");
long tls_write(long n) { return n + 1; }
void _start(void) {}

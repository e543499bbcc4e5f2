// libmariadb client: mysql_stmt_prepare once, mysql_stmt_execute N times
// (rows fetched), then COM_PING P times.
//   my_prepared HOST PORT USER DB N P
#include <mysql.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void die(const char* what, const char* err) {
  fprintf(stderr, "%s: %s\n", what, err);
  exit(1);
}

int main(int argc, char** argv) {
  if (argc != 7) return 2;
  MYSQL* m = mysql_init(NULL);
  if (!mysql_real_connect(m, argv[1], argv[3], "", argv[4], (unsigned)atoi(argv[2]), NULL, 0))
    die("connect", mysql_error(m));
  int n = atoi(argv[5]), pings = atoi(argv[6]);
  MYSQL_STMT* st = mysql_stmt_init(m);
  const char* q = "SELECT id, name FROM t WHERE id <= ?";
  if (mysql_stmt_prepare(st, q, strlen(q))) die("prepare", mysql_stmt_error(st));
  for (int i = 0; i < n; ++i) {
    int id = i % 5 + 1;  // id <= 1..5: 1..5 rows
    MYSQL_BIND b;
    memset(&b, 0, sizeof b);
    b.buffer_type = MYSQL_TYPE_LONG;
    b.buffer = &id;
    if (mysql_stmt_bind_param(st, &b)) die("bind", mysql_stmt_error(st));
    if (mysql_stmt_execute(st)) die("execute", mysql_stmt_error(st));
    if (mysql_stmt_store_result(st)) die("store", mysql_stmt_error(st));
    while (mysql_stmt_fetch(st) == 0) {
    }
    mysql_stmt_free_result(st);
  }
  mysql_stmt_close(st);
  for (int i = 0; i < pings; ++i)
    if (mysql_ping(m)) die("ping", mysql_error(m));
  mysql_close(m);
  return 0;
}

// libpq client: one prepared statement (PQprepare) executed N times with
// PQexecPrepared, and one unnamed PQexecParams.
//   pg_prepared CONNINFO N
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static void check(PGconn* c, PGresult* r, ExecStatusType want, const char* what) {
  if (PQresultStatus(r) != want) {
    fprintf(stderr, "%s: %s", what, PQerrorMessage(c));
    exit(1);
  }
  PQclear(r);
}

int main(int argc, char** argv) {
  if (argc != 3) return 2;
  PGconn* c = PQconnectdb(argv[1]);
  if (PQstatus(c) != CONNECTION_OK) {
    fprintf(stderr, "connect: %s", PQerrorMessage(c));
    return 1;
  }
  usleep(100000);  // a pooled connection's backend outlives its first query
  int n = atoi(argv[2]);
  check(c, PQprepare(c, "by_id", "SELECT id, name FROM t WHERE id = $1", 1, NULL), PGRES_COMMAND_OK,
        "prepare");
  for (int i = 0; i < n; ++i) {
    char id[16];
    snprintf(id, sizeof id, "%d", i % 50 + 1);
    const char* params[1] = {id};
    check(c, PQexecPrepared(c, "by_id", 1, params, NULL, NULL, 0), PGRES_TUPLES_OK, "execute");
  }
  const char* params[1] = {"3"};
  check(c,
        PQexecParams(c, "UPDATE t SET name = name WHERE id = $1", 1, NULL, params, NULL, NULL, 0),
        PGRES_COMMAND_OK, "exec params");
  PQfinish(c);
  return 0;
}

# nginx serving HTTPS for test_tls.sh and bench/tls_bench.sh (source after lib.sh).
# make_cert: a self-signed certificate in $WORK/{cert,key}.pem.
make_cert() {
  openssl req -x509 -newkey rsa:2048 -nodes -keyout "$WORK/key.pem" -out "$WORK/cert.pem" \
    -days 2 -subj /CN=localhost 2> /dev/null
}

# start_tls_nginx PORT: nginx serving TLS only; access log
# "<method> <uri> <status> <request_time>".
start_tls_nginx() {
  local port=$1 dir="$WORK/nginx-$1"
  mkdir -p "$dir/logs" "$dir/tmp"
  cat > "$dir/nginx.conf" << CONF
user root;
worker_processes 1;
daemon off;
pid $dir/nginx.pid;
error_log $dir/logs/error.log warn;
events { worker_connections 1024; }
http {
  log_format truth '\$request_method \$uri \$status \$request_time';
  access_log $dir/logs/access.log truth;
  client_body_temp_path $dir/tmp/body;
  proxy_temp_path $dir/tmp/proxy;
  fastcgi_temp_path $dir/tmp/fastcgi;
  uwsgi_temp_path $dir/tmp/uwsgi;
  scgi_temp_path $dir/tmp/scgi;
  keepalive_requests 100000;
  server {
    listen 127.0.0.1:$port ssl;
    ssl_certificate $WORK/cert.pem;
    ssl_certificate_key $WORK/key.pem;
    location = /a { return 200 "alpha\n"; }
    location = /b { return 201 "created\n"; }
    location = /c { return 500 "boom\n"; }
    location /users/ { return 200 "user\n"; }
    location = /static { return 200 "static\n"; }
    location = /stripped { return 200 "stripped\n"; }
    location = /big { alias $WORK/big; }  # test_tls.sh writes it
    location / { return 404; }
  }
}
CONF
  nginx -p "$dir" -c "$dir/nginx.conf" -e "$dir/logs/error.log" &
  PIDS+=($!)
  wait_for_port "$port"
}

# Starts a throwaway nginx on 127.0.0.1 that answers 204 to everything (and /status with
# stub_status), stopped on exit. Sets NGINX_PORT. Source it, then call start_nginx.
start_nginx() {
  NGINX_PREFIX=$(mktemp -d /tmp/herald-bench-nginx.XXXX)
  NGINX_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  mkdir -p "$NGINX_PREFIX/logs"
  cat > "$NGINX_PREFIX/nginx.conf" <<CONF
worker_processes 1;
error_log $NGINX_PREFIX/logs/error.log;
pid $NGINX_PREFIX/nginx.pid;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path $NGINX_PREFIX/body;
  # Batches (Herald's, Fluent Bit's) can be megabytes: nginx's 1 MiB default would answer them 413.
  client_max_body_size 64m;
  keepalive_requests 1000000;
  server {
    listen 127.0.0.1:$NGINX_PORT;
    location /status { stub_status; }
    location / { return 204; }
  }
}
CONF
  nginx -p "$NGINX_PREFIX" -c "$NGINX_PREFIX/nginx.conf"
  trap 'nginx -p "$NGINX_PREFIX" -c "$NGINX_PREFIX/nginx.conf" -s stop 2>/dev/null || true; rm -rf "$NGINX_PREFIX"' EXIT
  sleep 0.3
}

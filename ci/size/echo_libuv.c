/* The same echo server on libuv, for ci/size.sh's comparison: sends back
   each datagram it gets on 127.0.0.1, closes after COUNT of them.
     echo_libuv PORT COUNT */
#include <stdlib.h>
#include <uv.h>

static uv_udp_t server;
static int left;
static char buffer[65536];

static void on_alloc(uv_handle_t* handle, size_t size, uv_buf_t* buf) {
  (void)handle;
  (void)size;
  *buf = uv_buf_init(buffer, sizeof buffer);
}

static void on_sent(uv_udp_send_t* req, int status) {
  (void)status;
  free(req);
  if (left == 0) uv_close((uv_handle_t*)&server, NULL);
}

static void on_read(uv_udp_t* handle, ssize_t n, const uv_buf_t* buf,
                    const struct sockaddr* from, unsigned flags) {
  (void)flags;
  if (n <= 0 || from == NULL) return;
  uv_udp_send_t* req = malloc(sizeof *req);
  uv_buf_t reply = uv_buf_init(buf->base, (unsigned)n);
  --left;
  if (left == 0) uv_udp_recv_stop(handle);
  uv_udp_send(req, handle, &reply, 1, from, on_sent);
}

int main(int argc, char** argv) {
  struct sockaddr_in addr;
  if (argc != 3) return 2;
  left = atoi(argv[2]);
  uv_udp_init(uv_default_loop(), &server);
  uv_ip4_addr("127.0.0.1", atoi(argv[1]), &addr);
  if (uv_udp_bind(&server, (const struct sockaddr*)&addr, 0) != 0) return 1;
  uv_udp_recv_start(&server, on_alloc, on_read);
  return uv_run(uv_default_loop(), UV_RUN_DEFAULT);
}

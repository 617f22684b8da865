/* The baseline of ci/size.sh for C (libuv): an empty program. */
int main(int argc, char** argv) {
  (void)argv;
  return argc > 3;
}

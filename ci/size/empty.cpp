// The baseline of ci/size.sh: what any C++ program costs with the same
// flags, so that the library's share can be told apart.
#include <cstdlib>

int main(int argc, char**) { return argc > 3 ? EXIT_FAILURE : EXIT_SUCCESS; }

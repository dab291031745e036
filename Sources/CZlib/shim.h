// Brings zlib (inflate, crc32) into Swift: gzip files, and deflated entries of .npz (zip) archives.
// Debian: apt-get install zlib1g-dev; pkg-config "zlib" gives the include path.
#include <zlib.h>

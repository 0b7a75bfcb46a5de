// libpng. The simplified png_image_* API needs no setjmp.
#include <png.h>

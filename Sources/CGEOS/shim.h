#ifndef NODO_CGEOS_SHIM_H
#define NODO_CGEOS_SHIM_H
// Only the reentrant (_r) API is visible: no global GEOS handle can exist.
#define GEOS_USE_ONLY_R_API 1
#include <geos_c.h>
#endif

#ifndef NODO_CPROJ_SHIM_H
#define NODO_CPROJ_SHIM_H
#include <proj.h>
#endif

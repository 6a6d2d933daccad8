#ifndef NODO_CGDAL_SHIM_H
#define NODO_CGDAL_SHIM_H
#ifndef _LARGEFILE64_SOURCE
#define _LARGEFILE64_SOURCE 1
#endif
#include <sys/stat.h>
#include <gdal.h>
#include <ogr_api.h>
#include <ogr_srs_api.h>
#include <cpl_conv.h>
#include <cpl_error.h>
#include <cpl_string.h>
#include <cpl_vsi.h>
#include <gdal_utils.h>

// Expression macros and variadic functions are invisible to Swift.
static inline int nodo_gdal_version_num(void) { return GDAL_VERSION_NUM; }
static inline void nodo_cpl_error_reset(void) { CPLErrorReset(); }

// VSIStatBufL is a macro for a platform stat struct: stat through a helper.
// Returns 0 when the path exists, -1 otherwise; *is_dir tells a folder.
static inline int nodo_vsi_stat(const char *path, int *is_dir, long long *size) {
  VSIStatBufL buf;
  if (VSIStatL(path, &buf) != 0) return -1;
  *is_dir = VSI_ISDIR(buf.st_mode) ? 1 : 0;
  *size = (long long)buf.st_size;
  return 0;
}
#endif

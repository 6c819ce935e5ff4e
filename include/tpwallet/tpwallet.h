/*
 * tpwallet — wallet asset-management engine. Umbrella header and version.
 */
#ifndef TPWALLET_TPWALLET_H
#define TPWALLET_TPWALLET_H

#include "tpwallet/clock.h"
#include "tpwallet/error.h"
#include "tpwallet/id.h"
#include "tpwallet/money.h"
#include "tpwallet/prng.h"
#include "tpwallet/u128.h"

/* "0.1.0"; from the CMake project version. */
const char *tpw_version(void);
/* The git commit the library was built from, or "unknown". */
const char *tpw_version_commit(void);

#endif /* TPWALLET_TPWALLET_H */

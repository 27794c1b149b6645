/* The month, percentiles and shares (recharge.h). */
#include "flowtally/recharge.h"

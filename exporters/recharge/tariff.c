/* The tariff file (recharge.h). */
#include "flowtally/recharge.h"

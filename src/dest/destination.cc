// SPDX-License-Identifier: Apache-2.0
#include "dest/destination.h"

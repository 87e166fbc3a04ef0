// SPDX-License-Identifier: Apache-2.0
#include "streams/stream_spec.h"

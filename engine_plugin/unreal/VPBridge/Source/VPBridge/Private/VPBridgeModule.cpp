#include "VPBridgeModule.h"

DEFINE_LOG_CATEGORY(LogVPBridge);

IMPLEMENT_MODULE(FVPBridgeModule, VPBridge)

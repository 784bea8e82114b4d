// Includes the header-only vpbridge core with UE's macro clashes kept out (private to the module).
#pragma once

THIRD_PARTY_INCLUDES_START
#pragma push_macro("check")
#pragma push_macro("verify")
#undef check
#undef verify
#include "vpbridge/client.hpp"
#include "vpbridge/coords.hpp"
#pragma pop_macro("verify")
#pragma pop_macro("check")
THIRD_PARTY_INCLUDES_END

#include "CoreMinimal.h"

namespace VPBridgeUE
{
/// An Unreal transform (cm, Z up, left-handed; X forward) as the core's Unreal pose (4×4 row-major, column vectors).
inline vpbridge::msg::Mat4 PoseFromTransform(const FTransform& T)
{
	const FMatrix M = T.ToMatrixNoScale(); // row vectors: rows 0..2 are the X, Y, Z axes, row 3 the origin
	vpbridge::msg::Mat4 P{};
	for (int32 Col = 0; Col < 4; ++Col)
	{
		for (int32 Row = 0; Row < 3; ++Row)
		{
			P[Row * 4 + Col] = M.M[Col][Row];
		}
	}
	P[15] = 1.0;
	return P;
}

/// The core's Unreal pose back to an FTransform (see coords.hpp: columns become the FMatrix rows).
inline FTransform TransformFromPose(const vpbridge::msg::Mat4& P)
{
	FMatrix M = FMatrix::Identity;
	for (int32 Col = 0; Col < 4; ++Col)
	{
		for (int32 Row = 0; Row < 3; ++Row)
		{
			M.M[Col][Row] = P[Row * 4 + Col];
		}
	}
	return FTransform(M);
}
} // namespace VPBridgeUE

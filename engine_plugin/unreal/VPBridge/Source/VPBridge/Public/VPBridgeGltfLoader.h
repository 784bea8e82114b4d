// The runtime glTF route behind one small interface, so the environment actor does not care which
// importer is compiled in. See README.md, "Loading the environment".
#pragma once

#include "CoreMinimal.h"

class AActor;
class UWorld;

class VPBRIDGE_API IVPBridgeGltfLoader
{
public:
	virtual ~IVPBridgeGltfLoader() = default;
	/** Spawn the GLB's scene as actors under `Parent`; false (with `Error`) when it cannot. */
	virtual bool Load(UWorld* World, const TArray<uint8>& Glb, AActor* Parent, FString& Error) = 0;

	/** The loader this build has: glTFRuntime when the plugin is present, else one that explains. */
	static TUniquePtr<IVPBridgeGltfLoader> Make();
};

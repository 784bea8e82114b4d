#include "VPBridgeGltfLoader.h"

#include "Engine/World.h"
#include "GameFramework/Actor.h"

#if VPBRIDGE_WITH_GLTFRUNTIME
#include "glTFRuntimeAssetActor.h"
#include "glTFRuntimeFunctionLibrary.h"
#endif

namespace
{
#if VPBRIDGE_WITH_GLTFRUNTIME
/** glTFRuntime (github.com/rdeioris/glTFRuntime): parse the bytes, spawn an AglTFRuntimeAssetActor. */
class FGltfRuntimeLoader final : public IVPBridgeGltfLoader
{
public:
	bool Load(UWorld* World, const TArray<uint8>& Glb, AActor* Parent, FString& Error) override
	{
		FglTFRuntimeConfig Config;
		Config.TransformBaseType = EglTFRuntimeTransformBaseType::YForward; // glTF Y up, metres -> UE Z up, cm
		Config.SceneScale = 100.0f;
		UglTFRuntimeAsset* Asset = UglTFRuntimeFunctionLibrary::glTFLoadAssetFromData(Glb, Config);
		if (!Asset)
		{
			Error = TEXT("glTFRuntime could not parse the environment GLB");
			return false;
		}
		FActorSpawnParameters Params;
		Params.Owner = Parent;
		AglTFRuntimeAssetActor* Actor = World->SpawnActorDeferred<AglTFRuntimeAssetActor>(
			AglTFRuntimeAssetActor::StaticClass(), Parent->GetActorTransform());
		Actor->Asset = Asset;
		Actor->FinishSpawning(Parent->GetActorTransform());
		Actor->AttachToActor(Parent, FAttachmentTransformRules::KeepWorldTransform);
		return true;
	}
};
#endif

class FNoGltfLoader final : public IVPBridgeGltfLoader
{
public:
	bool Load(UWorld*, const TArray<uint8>&, AActor*, FString& Error) override
	{
		Error = TEXT("no runtime glTF importer: install and enable the glTFRuntime plugin (README.md)");
		return false;
	}
};
} // namespace

TUniquePtr<IVPBridgeGltfLoader> IVPBridgeGltfLoader::Make()
{
#if VPBRIDGE_WITH_GLTFRUNTIME
	return MakeUnique<FGltfRuntimeLoader>();
#else
	return MakeUnique<FNoGltfLoader>();
#endif
}

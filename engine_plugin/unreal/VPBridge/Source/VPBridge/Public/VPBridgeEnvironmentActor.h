// Loads the server's environment GLB at runtime and keeps the level's sun, sky and exposure in step
// with the live parameters (time_of_day, sun_azimuth, sun_elevation, exposure_ev).
#pragma once

#include "CoreMinimal.h"
#include "GameFramework/Actor.h"

#include "VPBridgeEnvironmentActor.generated.h"

class ADirectionalLight;
class APostProcessVolume;
class ASkyAtmosphere;

UCLASS(BlueprintType)
class VPBRIDGE_API AVPBridgeEnvironmentActor : public AActor
{
	GENERATED_BODY()

public:
	AVPBridgeEnvironmentActor();

	UPROPERTY(EditAnywhere, BlueprintReadWrite, Category = "vpbridge")
	bool bLoadOnBeginPlay = true;

	/** Apply the live parameters every tick (otherwise call ApplyParams). */
	UPROPERTY(EditAnywhere, BlueprintReadWrite, Category = "vpbridge")
	bool bFollowParams = true;

	UPROPERTY(EditAnywhere, BlueprintReadWrite, Category = "vpbridge")
	TObjectPtr<ADirectionalLight> Sun;

	UPROPERTY(EditAnywhere, BlueprintReadWrite, Category = "vpbridge")
	TObjectPtr<ASkyAtmosphere> Sky;

	UPROPERTY(EditAnywhere, BlueprintReadWrite, Category = "vpbridge")
	TObjectPtr<APostProcessVolume> PostProcess;

	/** From the manifest's environment (degrees); used by the solar model. */
	UPROPERTY(VisibleAnywhere, BlueprintReadOnly, Category = "vpbridge")
	float LatitudeDeg = 0.0f;

	UPROPERTY(VisibleAnywhere, BlueprintReadOnly, Category = "vpbridge")
	FString ManifestJson;

	/** Download the GLB + manifest and spawn the scene under this actor. */
	UFUNCTION(BlueprintCallable, Category = "vpbridge")
	bool LoadEnvironment();

	/** Sun from time_of_day (or the pinned sun_azimuth/sun_elevation), exposure from exposure_ev. */
	UFUNCTION(BlueprintCallable, Category = "vpbridge")
	void ApplyParams();

	/** (azimuth clockwise from north, elevation) in degrees: the server's equinox model. */
	UFUNCTION(BlueprintPure, Category = "vpbridge")
	static FVector2D SunAnglesDeg(float TimeOfDayH, float LatitudeDegrees);

	virtual void BeginPlay() override;
	virtual void Tick(float DeltaSeconds) override;
};

// Put on a CineCameraActor: every tick its pose (converted to the wire frame by the core's coords.hpp)
// and lens are reported to the server as this engine's camera (`camera.<session8>` in the state).
#pragma once

#include "Components/ActorComponent.h"
#include "CoreMinimal.h"

#include "VPBridgeCameraComponent.generated.h"

UCLASS(ClassGroup = (VirtualProduction), meta = (BlueprintSpawnableComponent))
class VPBRIDGE_API UVPBridgeCameraComponent : public UActorComponent
{
	GENERATED_BODY()

public:
	UVPBridgeCameraComponent();

	UPROPERTY(EditAnywhere, BlueprintReadWrite, Category = "vpbridge")
	bool bStreaming = true;

	/** Reports per second (the server publishes each in the shared state). */
	UPROPERTY(EditAnywhere, BlueprintReadWrite, Category = "vpbridge", meta = (ClampMin = "1", ClampMax = "120"))
	float RateHz = 30.0f;

	/** Send one report now; false when not connected. */
	UFUNCTION(BlueprintCallable, Category = "vpbridge")
	bool ReportNow();

	virtual void TickComponent(float DeltaTime, ELevelTick TickType, FActorComponentTickFunction* ThisTickFunction) override;

private:
	float SinceLast = 0.0f;
};

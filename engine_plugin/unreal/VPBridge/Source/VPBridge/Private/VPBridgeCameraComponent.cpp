#include "VPBridgeCameraComponent.h"

#include "CineCameraComponent.h"
#include "Engine/GameInstance.h"
#include "VPBridgeCore.h"
#include "VPBridgeSubsystem.h"

UVPBridgeCameraComponent::UVPBridgeCameraComponent()
{
	PrimaryComponentTick.bCanEverTick = true;
	PrimaryComponentTick.TickGroup = TG_PostUpdateWork; // after the camera has moved this frame
}

void UVPBridgeCameraComponent::TickComponent(float DeltaTime, ELevelTick TickType, FActorComponentTickFunction* ThisTickFunction)
{
	Super::TickComponent(DeltaTime, TickType, ThisTickFunction);
	SinceLast += DeltaTime;
	if (bStreaming && SinceLast >= 1.0f / FMath::Max(RateHz, 1.0f))
	{
		SinceLast = 0.0f;
		ReportNow();
	}
}

bool UVPBridgeCameraComponent::ReportNow()
{
	const UWorld* World = GetWorld();
	UGameInstance* GI = World ? World->GetGameInstance() : nullptr;
	UVPBridgeSubsystem* Bridge = GI ? GI->GetSubsystem<UVPBridgeSubsystem>() : nullptr;
	UCineCameraComponent* Cine = GetOwner() ? GetOwner()->FindComponentByClass<UCineCameraComponent>() : nullptr;
	if (!Bridge || !Bridge->GetClient() || !Cine)
	{
		return false;
	}
	vpbridge::Lens Lens;
	Lens.focal_length_mm = Cine->CurrentFocalLength;
	Lens.aperture_f = Cine->CurrentAperture;
	Lens.focus_distance_m = Cine->FocusSettings.ManualFocusDistance / 100.0; // cm -> m
	Lens.sensor_width_mm = Cine->Filmback.SensorWidth;
	Lens.sensor_height_mm = Cine->Filmback.SensorHeight;
	const auto Pose = vpbridge::coords::wire_from_unreal_pose(VPBridgeUE::PoseFromTransform(Cine->GetComponentTransform()));
	try
	{
		Bridge->GetClient()->report_camera(Pose, Lens, vpbridge::now_ns());
		return true;
	}
	catch (const std::exception& E)
	{
		Bridge->ReportFailure(UTF8_TO_TCHAR(E.what()));
		return false;
	}
}

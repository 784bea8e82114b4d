#include "VPBridgeEnvironmentActor.h"

#include "Components/DirectionalLightComponent.h"
#include "Dom/JsonObject.h"
#include "Engine/DirectionalLight.h"
#include "Engine/GameInstance.h"
#include "Engine/PostProcessVolume.h"
#include "Serialization/JsonReader.h"
#include "Serialization/JsonSerializer.h"
#include "VPBridgeCore.h"
#include "VPBridgeGltfLoader.h"
#include "VPBridgeModule.h"
#include "VPBridgeSubsystem.h"

namespace
{
UVPBridgeSubsystem* Bridge(const AActor* A)
{
	UGameInstance* GI = A->GetWorld() ? A->GetWorld()->GetGameInstance() : nullptr;
	return GI ? GI->GetSubsystem<UVPBridgeSubsystem>() : nullptr;
}
} // namespace

AVPBridgeEnvironmentActor::AVPBridgeEnvironmentActor()
{
	PrimaryActorTick.bCanEverTick = true;
	RootComponent = CreateDefaultSubobject<USceneComponent>(TEXT("Root"));
}

void AVPBridgeEnvironmentActor::BeginPlay()
{
	Super::BeginPlay();
	if (bLoadOnBeginPlay)
	{
		LoadEnvironment();
	}
}

void AVPBridgeEnvironmentActor::Tick(float DeltaSeconds)
{
	Super::Tick(DeltaSeconds);
	if (bFollowParams)
	{
		ApplyParams();
	}
}

bool AVPBridgeEnvironmentActor::LoadEnvironment()
{
	UVPBridgeSubsystem* B = Bridge(this);
	if (!B || !B->GetClient())
	{
		UE_LOG(LogVPBridge, Warning, TEXT("LoadEnvironment: not connected"));
		return false;
	}
	vpbridge::Scene Scene;
	try
	{
		Scene = B->GetClient()->get_scene();
	}
	catch (const std::exception& E)
	{
		B->ReportFailure(UTF8_TO_TCHAR(E.what()));
		return false;
	}
	ManifestJson = UTF8_TO_TCHAR(Scene.manifest.c_str());
	TSharedPtr<FJsonObject> Manifest;
	if (FJsonSerializer::Deserialize(TJsonReaderFactory<>::Create(ManifestJson), Manifest) && Manifest.IsValid())
	{
		const TSharedPtr<FJsonObject>* Env = nullptr;
		if (Manifest->TryGetObjectField(TEXT("environment"), Env))
		{
			double Lat = 0.0;
			(*Env)->TryGetNumberField(TEXT("latitude_deg"), Lat);
			LatitudeDeg = static_cast<float>(Lat);
		}
	}
	const TArray<uint8> Glb(reinterpret_cast<const uint8*>(Scene.glb.data()), static_cast<int32>(Scene.glb.size()));
	FString Error;
	if (!IVPBridgeGltfLoader::Make()->Load(GetWorld(), Glb, this, Error))
	{
		UE_LOG(LogVPBridge, Error, TEXT("LoadEnvironment: %s"), *Error);
		return false;
	}
	return true;
}

FVector2D AVPBridgeEnvironmentActor::SunAnglesDeg(float TimeOfDayH, float LatitudeDegrees)
{
	// A copy of bridge/world/scene.py Environment.sun_angles_deg (equinox sun, 15 degrees an hour).
	const double H = FMath::DegreesToRadians((TimeOfDayH - 12.0) * 15.0);
	const double Lat = FMath::DegreesToRadians(LatitudeDegrees);
	const double El = FMath::Asin(FMath::Clamp(FMath::Cos(Lat) * FMath::Cos(H), -1.0, 1.0));
	const double Az = FMath::Atan2(FMath::Sin(H), FMath::Cos(H) * FMath::Sin(Lat));
	return FVector2D(FMath::Fmod(FMath::RadiansToDegrees(Az) + 540.0, 360.0), FMath::RadiansToDegrees(El));
}

void AVPBridgeEnvironmentActor::ApplyParams()
{
	UVPBridgeSubsystem* B = Bridge(this);
	if (!B || !B->IsConnected())
	{
		return;
	}
	float TimeOfDay = 14.0f, Az = 0.0f, El = 0.0f, Ev = 0.0f;
	B->GetFloatParam(TEXT("time_of_day"), TimeOfDay);
	FVector2D Angles = SunAnglesDeg(TimeOfDay, LatitudeDeg);
	if (B->GetFloatParam(TEXT("sun_azimuth"), Az) && B->GetFloatParam(TEXT("sun_elevation"), El))
	{
		Angles = FVector2D(Az, El); // pinned sun
	}
	if (Sun)
	{
		const double A = FMath::DegreesToRadians(Angles.X), E = FMath::DegreesToRadians(Angles.Y);
		const vpbridge::coords::Vec3 ToSunWire{FMath::Sin(A) * FMath::Cos(E), FMath::Sin(E), -FMath::Cos(A) * FMath::Cos(E)};
		const auto ToSun = vpbridge::coords::unreal_from_wire_direction(ToSunWire);
		// A directional light shines along its +X: from the sun towards the scene.
		Sun->SetActorRotation(FVector(-ToSun.x, -ToSun.y, -ToSun.z).Rotation());
		if (UDirectionalLightComponent* L = Cast<UDirectionalLightComponent>(Sun->GetLightComponent()))
		{
			L->SetAtmosphereSunLight(true); // SkyAtmosphere follows this light
		}
	}
	if (PostProcess && B->GetFloatParam(TEXT("exposure_ev"), Ev))
	{
		PostProcess->Settings.bOverride_AutoExposureBias = true;
		PostProcess->Settings.AutoExposureBias = Ev;
	}
}

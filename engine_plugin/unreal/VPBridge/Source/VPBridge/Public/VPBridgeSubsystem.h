// Owns the one connection to a vpbridge server for the game instance: connects, polls the state
// plane every tick, reconnects after a drop, and exposes parameters to Blueprints.
#pragma once

#include "Containers/Ticker.h"
#include "CoreMinimal.h"
#include "Subsystems/GameInstanceSubsystem.h"

#include "VPBridgeSubsystem.generated.h"

namespace vpbridge { class Client; }

DECLARE_DYNAMIC_MULTICAST_DELEGATE_OneParam(FVPBridgeConnectionChanged, bool, bConnected);

UCLASS(BlueprintType, Config = Game)
class VPBRIDGE_API UVPBridgeSubsystem : public UGameInstanceSubsystem
{
	GENERATED_BODY()

public:
	virtual void Initialize(FSubsystemCollectionBase& Collection) override;
	virtual void Deinitialize() override;

	/** Control endpoint, e.g. tcp://127.0.0.1:5555. */
	UPROPERTY(Config, EditAnywhere, BlueprintReadWrite, Category = "vpbridge")
	FString Endpoint = TEXT("tcp://127.0.0.1:5555");

	/** CURVE client keys file (TOML written by `vpbridge keys`); empty for a loopback server. */
	UPROPERTY(Config, EditAnywhere, BlueprintReadWrite, Category = "vpbridge")
	FString KeysFile;

	/** viewer, engine or director (set_params needs director). */
	UPROPERTY(Config, EditAnywhere, BlueprintReadWrite, Category = "vpbridge")
	FString Role = TEXT("viewer");

	UPROPERTY(Config, EditAnywhere, BlueprintReadWrite, Category = "vpbridge")
	float ReconnectIntervalSeconds = 2.0f;

	UPROPERTY(BlueprintAssignable, Category = "vpbridge")
	FVPBridgeConnectionChanged OnConnectionChanged;

	UFUNCTION(BlueprintCallable, Category = "vpbridge")
	bool Connect();

	UFUNCTION(BlueprintCallable, Category = "vpbridge")
	void Disconnect();

	UFUNCTION(BlueprintPure, Category = "vpbridge")
	bool IsConnected() const;

	/** A live float parameter (time_of_day, exposure_ev, ...); false if absent or not a number. */
	UFUNCTION(BlueprintPure, Category = "vpbridge")
	bool GetFloatParam(const FString& Name, float& Value) const;

	UFUNCTION(BlueprintPure, Category = "vpbridge")
	bool GetStringParam(const FString& Name, FString& Value) const;

	/** set_params (director role): floats and strings in one committed change. */
	UFUNCTION(BlueprintCallable, Category = "vpbridge")
	bool SetParams(const TMap<FString, float>& Floats, const TMap<FString, FString>& Strings, const FString& Message);

	/** The connected client, for the component and actor in this module (nullptr when disconnected). */
	vpbridge::Client* GetClient() const { return Client.Get(); }

	/** Drop the connection after a transport error; the ticker reconnects. */
	void ReportFailure(const FString& What);

private:
	bool Tick(float DeltaSeconds);

	TUniquePtr<vpbridge::Client> Client;
	FTSTicker::FDelegateHandle TickHandle;
	double NextReconnect = 0.0;
	bool bWantConnected = false;
};

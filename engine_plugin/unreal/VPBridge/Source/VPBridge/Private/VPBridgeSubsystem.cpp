#include "VPBridgeSubsystem.h"

#include "Misc/FileHelper.h"
#include "VPBridgeCore.h"
#include "VPBridgeModule.h"

namespace
{
vpbridge::msg::Role RoleFromString(const FString& Role)
{
	if (Role == TEXT("director")) return vpbridge::msg::Role::director;
	if (Role == TEXT("engine")) return vpbridge::msg::Role::engine;
	return vpbridge::msg::Role::viewer;
}
} // namespace

void UVPBridgeSubsystem::Initialize(FSubsystemCollectionBase& Collection)
{
	Super::Initialize(Collection);
	TickHandle = FTSTicker::GetCoreTicker().AddTicker(FTickerDelegate::CreateUObject(this, &UVPBridgeSubsystem::Tick));
}

void UVPBridgeSubsystem::Deinitialize()
{
	FTSTicker::GetCoreTicker().RemoveTicker(TickHandle);
	Disconnect();
	Super::Deinitialize();
}

bool UVPBridgeSubsystem::Connect()
{
	bWantConnected = true;
	try
	{
		vpbridge::ConnectOptions Options;
		Options.name = "unreal";
		Options.role = RoleFromString(Role);
		if (!KeysFile.IsEmpty())
		{
			Options.keys = vpbridge::CurveKeys::from_file(TCHAR_TO_UTF8(*KeysFile));
		}
		auto NewClient = MakeUnique<vpbridge::Client>();
		NewClient->connect(TCHAR_TO_UTF8(*Endpoint), Options);
		Client = MoveTemp(NewClient);
		UE_LOG(LogVPBridge, Log, TEXT("connected to %s"), *Endpoint);
		OnConnectionChanged.Broadcast(true);
		return true;
	}
	catch (const std::exception& E)
	{
		ReportFailure(UTF8_TO_TCHAR(E.what()));
		return false;
	}
}

void UVPBridgeSubsystem::Disconnect()
{
	bWantConnected = false;
	if (Client)
	{
		Client.Reset(); // the destructor says bye and closes the sockets
		OnConnectionChanged.Broadcast(false);
	}
}

bool UVPBridgeSubsystem::IsConnected() const { return Client.IsValid(); }

void UVPBridgeSubsystem::ReportFailure(const FString& What)
{
	UE_LOG(LogVPBridge, Warning, TEXT("%s: %s (retrying in %.1f s)"), *Endpoint, *What, ReconnectIntervalSeconds);
	const bool bWasConnected = Client.IsValid();
	Client.Reset();
	NextReconnect = FPlatformTime::Seconds() + ReconnectIntervalSeconds;
	if (bWasConnected)
	{
		OnConnectionChanged.Broadcast(false);
	}
}

bool UVPBridgeSubsystem::Tick(float)
{
	if (Client)
	{
		try
		{
			Client->poll(); // state deltas, re-snapshots and the keep-alive
			if (!Client->has_session())
			{
				ReportFailure(TEXT("the server forgot this session (restarted)"));
			}
		}
		catch (const std::exception& E)
		{
			ReportFailure(UTF8_TO_TCHAR(E.what()));
		}
	}
	else if (bWantConnected && FPlatformTime::Seconds() >= NextReconnect)
	{
		Connect();
	}
	return true;
}

bool UVPBridgeSubsystem::GetFloatParam(const FString& Name, float& Value) const
{
	if (!Client) return false;
	const auto& State = Client->state();
	const auto It = State.find(TCHAR_TO_UTF8(*Name));
	if (It == State.end()) return false;
	if (const double* D = std::get_if<double>(&It->second)) { Value = static_cast<float>(*D); return true; }
	if (const int64_t* I = std::get_if<int64_t>(&It->second)) { Value = static_cast<float>(*I); return true; }
	return false;
}

bool UVPBridgeSubsystem::GetStringParam(const FString& Name, FString& Value) const
{
	if (!Client) return false;
	const auto& State = Client->state();
	const auto It = State.find(TCHAR_TO_UTF8(*Name));
	if (It == State.end()) return false;
	if (const std::string* S = std::get_if<std::string>(&It->second)) { Value = UTF8_TO_TCHAR(S->c_str()); return true; }
	return false;
}

bool UVPBridgeSubsystem::SetParams(const TMap<FString, float>& Floats, const TMap<FString, FString>& Strings, const FString& Message)
{
	if (!Client) return false;
	std::map<std::string, vpbridge::ParamValue> Values;
	for (const auto& KV : Floats) Values[TCHAR_TO_UTF8(*KV.Key)] = static_cast<double>(KV.Value);
	for (const auto& KV : Strings) Values[TCHAR_TO_UTF8(*KV.Key)] = std::string(TCHAR_TO_UTF8(*KV.Value));
	try
	{
		Client->set_params(std::move(Values));
		return true;
	}
	catch (const vpbridge::RemoteError& E) // FORBIDDEN, BAD_REQUEST: the connection is fine
	{
		UE_LOG(LogVPBridge, Warning, TEXT("set_params refused: %s"), UTF8_TO_TCHAR(E.what()));
		return false;
	}
	catch (const std::exception& E)
	{
		ReportFailure(UTF8_TO_TCHAR(E.what()));
		return false;
	}
}

// Runtime module: the header-only vpbridge C++ core (engine_plugin/cpp/include) plus libzmq as a
// third-party library. All protocol and coordinate logic lives in the core; this module is glue.
using System.IO;
using UnrealBuildTool;

public class VPBridge : ModuleRules
{
	public VPBridge(ReadOnlyTargetRules Target) : base(Target)
	{
		PCHUsage = PCHUsageMode.UseExplicitOrSharedPCHs;
		CppStandard = CppStandardVersion.Cpp17;
		bEnableExceptions = true; // the core reports errors with exceptions (vpbridge::Error)

		PublicDependencyModuleNames.AddRange(new[] { "Core", "CoreUObject", "Engine", "CinematicCamera" });

		// The core: engine_plugin/cpp/include in this repository, or a copy in ThirdParty/vpbridge.
		string PluginDir = Path.GetFullPath(Path.Combine(ModuleDirectory, "..", ".."));
		string CoreInclude = Path.GetFullPath(Path.Combine(PluginDir, "..", "..", "cpp", "include"));
		string VendoredCore = Path.Combine(PluginDir, "Source", "ThirdParty", "vpbridge", "include");
		PrivateIncludePaths.Add(Directory.Exists(VendoredCore) ? VendoredCore : CoreInclude);
		PublicDefinitions.Add("MSGPACK_NO_BOOST=1");
		PublicDefinitions.Add("ZMQ_STATIC=1");

		// libzmq + cppzmq + msgpack-cxx headers; see README.md for where they come from per platform.
		string ZmqRoot = Path.Combine(PluginDir, "Source", "ThirdParty", "libzmq");
		PublicSystemIncludePaths.Add(Path.Combine(ZmqRoot, "include"));
		if (Target.Platform == UnrealTargetPlatform.Win64)
		{
			PublicAdditionalLibraries.Add(Path.Combine(ZmqRoot, "lib", "Win64", "libzmq-mt-s-4_3_5.lib"));
			PublicSystemLibraries.AddRange(new[] { "ws2_32.lib", "iphlpapi.lib", "advapi32.lib" });
		}
		else if (Target.Platform == UnrealTargetPlatform.Linux)
		{
			PublicAdditionalLibraries.Add(Path.Combine(ZmqRoot, "lib", "Linux", "libzmq.a"));
		}
		else if (Target.Platform == UnrealTargetPlatform.Mac)
		{
			PublicAdditionalLibraries.Add(Path.Combine(ZmqRoot, "lib", "Mac", "libzmq.a"));
		}

		// Optional runtime glTF loading through the glTFRuntime plugin (README.md, "Loading the environment").
		bool bHasGltfRuntime = Directory.Exists(Path.Combine(PluginDir, "..", "glTFRuntime"))
			|| Directory.Exists(Path.Combine(EngineDirectory, "Plugins", "Marketplace", "glTFRuntime"));
		if (bHasGltfRuntime)
		{
			PrivateDependencyModuleNames.Add("glTFRuntime");
		}
		PublicDefinitions.Add("VPBRIDGE_WITH_GLTFRUNTIME=" + (bHasGltfRuntime ? "1" : "0"));
	}
}

using System;
using System.Diagnostics;
using System.IO;
using System.Text;

namespace QuantGen.Generator.Tests
{
    /// <summary>Runs <c>dotnet</c> (or a built program) as a child process with a timeout, capturing its output.</summary>
    public static class DotNetCli
    {
        public sealed record Result(int ExitCode, string Output)
        {
            public override string ToString() => $"exit code {ExitCode}\n{Output}";
        }

        public static Result Run(string fileName, string arguments, string workingDirectory, TimeSpan timeout)
        {
            var psi = new ProcessStartInfo(fileName, arguments)
            {
                WorkingDirectory = workingDirectory,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            // The test host may run inside MSBuild/dotnet test: do not leak its MSBuild settings into the child build.
            foreach (var key in new[] { "MSBuildExtensionsPath", "MSBuildSDKsPath", "MSBUILD_EXE_PATH", "MSBuildLoadMicrosoftTargetsReadOnly", "MSBUILDNOINPROCNODE" })
                psi.Environment.Remove(key);
            psi.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
            psi.Environment["DOTNET_NOLOGO"] = "1";
            psi.Environment["DOTNET_SKIP_FIRST_TIME_EXPERIENCE"] = "1";

            var output = new StringBuilder();
            using var process = new Process { StartInfo = psi };
            process.OutputDataReceived += (_, e) => { if (e.Data != null) lock (output) output.AppendLine(e.Data); };
            process.ErrorDataReceived += (_, e) => { if (e.Data != null) lock (output) output.AppendLine(e.Data); };
            process.Start();
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            if (!process.WaitForExit((int)timeout.TotalMilliseconds))
            {
                process.Kill(entireProcessTree: true);
                process.WaitForExit();
                lock (output) return new Result(-1, $"timed out after {timeout}: {fileName} {arguments}\n{output}");
            }
            process.WaitForExit();
            lock (output) return new Result(process.ExitCode, output.ToString());
        }

        /// <summary><c>dotnet build</c>-style command: no node reuse and no compiler server, so nothing outlives the test.</summary>
        public static Result DotNet(string arguments, string workingDirectory, int timeoutMinutes = 10) =>
            Run("dotnet", arguments + " -nodeReuse:false -p:UseSharedCompilation=false", workingDirectory, TimeSpan.FromMinutes(timeoutMinutes));
    }
}

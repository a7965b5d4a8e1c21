using System;
using System.Reflection;
using QuantGen.Cli;
using Xunit;

namespace QuantGen.Tests.Compiler
{
    /// <summary>The out-of-bounds detector every oracle test runs through must really catch writes outside the buffers.</summary>
    public class GuardedRunnerTests
    {
        private static int s_mode;

        // Stand-ins for a generated harness (same signature): mode 0 writes inside, 1 before the output, 2 past the
        // workspace, 3 reads the workspace interior into the output.
        internal static void Run(object[] inputs, object[] outputs, byte[] workspace, int guard)
        {
            var y = (float[])outputs[0];
            switch (s_mode)
            {
                case 0: y[guard] = 1f; y[y.Length - guard - 1] = 2f; workspace[guard] = 7; break;
                case 1: y[guard - 1] = 1f; break;
                case 2: workspace[workspace.Length - guard] = 1; break;
                case 3: y[guard] = workspace[guard]; break;
            }
        }

        private static InMemoryCompiler.GuardedRunner Runner() =>
            new(typeof(GuardedRunnerTests).GetMethod(nameof(Run), BindingFlags.NonPublic | BindingFlags.Static)!, new[] { QuantGen.Graph.DataType.Float }, new[] { 5 }, 3);

        [Fact]
        public void Writes_inside_the_buffers_pass_and_are_returned_and_unwritten_outputs_are_not_zero()
        {
            s_mode = 0;
            var y = (float[])Runner().Run(Array.Empty<Array>())[0];
            Assert.Equal(5, y.Length);
            Assert.Equal(1f, y[0]);
            Assert.Equal(2f, y[4]);
            Assert.Equal(unchecked((int)0xA5A5A5A5), BitConverter.SingleToInt32Bits(y[2]));
        }

        [Fact]
        public void A_write_before_an_output_is_caught()
        {
            s_mode = 1;
            var e = Assert.Throws<InvalidOperationException>(() => Runner().Run(Array.Empty<Array>()));
            Assert.Contains("before the start of output 0", e.Message);
        }

        [Fact]
        public void A_write_past_the_workspace_is_caught()
        {
            s_mode = 2;
            var e = Assert.Throws<InvalidOperationException>(() => Runner().Run(Array.Empty<Array>()));
            Assert.Contains("past the end of the workspace", e.Message);
        }

        [Fact]
        public void The_workspace_starts_as_garbage_not_zero()
        {
            s_mode = 3;
            var y = (float[])Runner().Run(Array.Empty<Array>())[0];
            Assert.Equal(0xCD, y[0]);
        }
    }
}

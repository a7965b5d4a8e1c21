using System;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using DigitsSample;

// The MNIST CNN (models/mnist.onnx), compiled to C# at build time by QuantGen (<QuantModel Include="models/mnist.onnx"
// ClassName="Digits" />), classifies the 1,797 scikit-learn digits. ONNX Runtime (float32) gets 87.4% on them.

string dataFolder = Path.Combine(AppContext.BaseDirectory, "data");
if (!File.Exists(Path.Combine(dataFolder, "labels.npy")))
{
    Console.Error.WriteLine($"data not found in {dataFolder} (expected digits_28x28_0to255.npy.gz and labels.npy)");
    return 1;
}
float[] images = NpyArray.Read(Path.Combine(dataFolder, "digits_28x28_0to255.npy.gz")).ToFloats();
long[] labels = NpyArray.Read(Path.Combine(dataFolder, "labels.npy")).ToInt64s();
int count = labels.Length;
if (images.Length != count * Digits.InputLength)
{
    Console.Error.WriteLine($"expected {count} images of {Digits.InputLength} pixels, got {images.Length} values");
    return 1;
}

// --accuracy-only: accuracy and a hash of every output, no timing (used under emulation to compare x64 and arm64 bit for bit).
bool accuracyOnly = args.Length > 0 && args[0] == "--accuracy-only";
// The kernels are emitted into this assembly (internal classes), so the sample can say which int8 path this CPU runs.
Console.WriteLine($"int8 kernel path: {QuantGen.Kernels.QuantPath.Name(QuantGen.Kernels.QuantPath.Best)}");
Evaluate("float32", Digits.Predict);
Evaluate("int8", DigitsInt8.Predict);
CompareOnCalibrationDigits();
return 0;

// What the build's quantization report measured on the calibration data (the first 64 digits, data/calibration), here from
// the generated code itself: E = mean (y - y_hat)^2 of int8 against float32, cosine per digit, top-1 agreement.
void CompareOnCalibrationDigits()
{
    const int n = 64;
    var y = new float[Digits.OutputLength];
    var q = new float[Digits.OutputLength];
    double sumSq = 0, cosineSum = 0, worst = 1;
    int agree = 0;
    for (int i = 0; i < n; i++)
    {
        var x = images.AsSpan(i * Digits.InputLength, Digits.InputLength);
        Digits.Predict(x, y);
        DigitsInt8.Predict(x, q);
        double dot = 0, ny = 0, nq = 0;
        for (int k = 0; k < y.Length; k++) { double d = y[k] - q[k]; sumSq += d * d; dot += y[k] * q[k]; ny += y[k] * y[k]; nq += q[k] * q[k]; }
        double cosine = dot / Math.Sqrt(ny * nq);
        cosineSum += cosine;
        worst = Math.Min(worst, cosine);
        if (ArgMax(y) == ArgMax(q)) agree++;
    }
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"int8 vs float32 on the {n} calibration digits: E={sumSq / (n * y.Length):G3} cosine {cosineSum / n:F5} (worst {worst:F5}) top-1 agreement {100.0 * agree / n:F2}%"));
}

void Evaluate(string precision, Predictor predict)
{
    var scores = new float[Digits.OutputLength];
    int correct = 0;
    ulong hash = 14695981039346656037UL; // FNV-1a over the bits of every output score
    for (int i = 0; i < count; i++)
    {
        predict(images.AsSpan(i * Digits.InputLength, Digits.InputLength), scores);
        if (ArgMax(scores) == labels[i]) correct++;
        foreach (float v in scores)
            for (uint bits = BitConverter.SingleToUInt32Bits(v), b = 0; b < 4; b++) { hash ^= (bits >> (int)(8 * b)) & 0xFF; hash *= 1099511628211UL; }
    }
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{precision} accuracy: {100.0 * correct / count:F2}% ({correct} of {count} digits)"));
    if (accuracyOnly)
    {
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{precision} outputs hash: {hash:x16}"));
        return;
    }

    // Latency: warm up (tiered JIT settles; no-op under NativeAOT), then time whole passes over the data set.
    for (int i = 0; i < 5 * count; i++) predict(images.AsSpan(i % count * Digits.InputLength, Digits.InputLength), scores);
    const int passes = 5;
    var watch = Stopwatch.StartNew();
    for (int p = 0; p < passes; p++)
        for (int i = 0; i < count; i++)
            predict(images.AsSpan(i * Digits.InputLength, Digits.InputLength), scores);
    watch.Stop();
    double microseconds = watch.Elapsed.TotalMicroseconds / (passes * count);
    string prefix = precision == "float32" ? "" : precision + " ";
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{prefix}mean latency per Predict: {microseconds:F1} us ({passes * count} calls)"));

    // Allocations after warm-up: the workspace is allocated once per thread, on its first call.
    const int calls = 20_000;
    long before = GC.GetAllocatedBytesForCurrentThread();
    for (int i = 0; i < calls; i++) predict(images.AsSpan(i % count * Digits.InputLength, Digits.InputLength), scores);
    long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{prefix}allocated bytes per Predict: {(double)allocated / calls:0.###} ({allocated} bytes over {calls} calls)"));
}



static int ArgMax(ReadOnlySpan<float> values)
{
    int best = 0;
    for (int i = 1; i < values.Length; i++) if (values[i] > values[best]) best = i;
    return best;
}

/// <summary>Digits.Predict and DigitsInt8.Predict have this shape.</summary>
internal delegate void Predictor(ReadOnlySpan<float> input, Span<float> output);

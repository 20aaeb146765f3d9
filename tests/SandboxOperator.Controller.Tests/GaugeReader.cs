using System.Diagnostics.Metrics;

namespace SandboxOperator.Controller.Tests;

/// <summary>Reads one observable gauge of the meters a given factory created.</summary>
internal sealed class GaugeReader : IDisposable
{
    private readonly MeterListener _listener = new();
    private long _last = -1;

    public GaugeReader(IMeterFactory factory, string name)
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Scope == factory && instrument.Name == name)
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((_, value, _, _) => Volatile.Write(ref _last, value));
        _listener.Start();
    }

    public long Read()
    {
        _listener.RecordObservableInstruments();
        return Volatile.Read(ref _last);
    }

    public void Dispose() => _listener.Dispose();
}

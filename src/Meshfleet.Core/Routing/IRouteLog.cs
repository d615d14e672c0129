namespace Meshfleet.Core.Routing;

/// <summary>
/// Where routed hand-offs are recorded: which message went to which agent, at what score, by which model. With the
/// ledger (replies carry reply_to) it tells later which agent answered and whether the sender re-routed the task,
/// the data routing needs to learn from outcomes. Part of the agent directory role (<see cref="Agents.IAgentDirectory"/>).
/// </summary>
public interface IRouteLog
{
    ValueTask RecordAsync(RouteRecord record, CancellationToken cancellationToken);
}

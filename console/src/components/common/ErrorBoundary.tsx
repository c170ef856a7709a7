/** A page that fails to render says so, with a way back, instead of leaving the screen blank. */
import { Component, type ReactNode } from "react";
import { Trans } from "react-i18next";

export class ErrorBoundary extends Component<{ children: ReactNode; resetKey: string }, { error?: Error }> {
  state: { error?: Error } = {};
  static getDerivedStateFromError(error: Error) {
    return { error };
  }
  componentDidUpdate(prev: { resetKey: string }) {
    if (prev.resetKey !== this.props.resetKey && this.state.error) this.setState({ error: undefined });
  }
  render() {
    if (!this.state.error) return this.props.children;
    return (
      <div className="problem" role="alert">
        <p>
          <Trans i18nKey="state.crashed" />
        </p>
        <pre>{this.state.error.message}</pre>
      </div>
    );
  }
}

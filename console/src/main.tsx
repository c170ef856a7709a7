/** The console's entry: i18n, the theme, the query cache, then the app. */
import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { QueryCache, QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { ApiError } from "./lib/api";
import { keys } from "./lib/queries";
import { initI18n } from "./lib/i18n";
import { applyTheme, storedTheme } from "./lib/theme";
import { App } from "./components/App/App";
import "./styles.css";

initI18n();
applyTheme(storedTheme());
const client: QueryClient = new QueryClient({
  defaultOptions: { queries: { refetchOnWindowFocus: true, staleTime: 5_000 } },
  queryCache: new QueryCache({
    // a session that ended (expired, signed out elsewhere) shows the sign-in page at the next read
    onError: (e, query) => {
      if (e instanceof ApiError && e.status === 401 && query.queryKey[0] !== keys.me[0])
        void client.invalidateQueries({ queryKey: keys.me });
    },
  }),
});
createRoot(document.getElementById("root")!).render(
  <StrictMode>
    <QueryClientProvider client={client}>
      <App />
    </QueryClientProvider>
  </StrictMode>,
);

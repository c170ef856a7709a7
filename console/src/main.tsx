/** The console's entry: i18n, the theme, the query cache, then the app. */
import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { initI18n } from "./lib/i18n";
import { applyTheme, storedTheme } from "./lib/theme";
import { App } from "./components/App/App";
import "./styles.css";

initI18n();
applyTheme(storedTheme());
const client = new QueryClient({ defaultOptions: { queries: { refetchOnWindowFocus: true, staleTime: 5_000 } } });
createRoot(document.getElementById("root")!).render(
  <StrictMode>
    <QueryClientProvider client={client}>
      <App />
    </QueryClientProvider>
  </StrictMode>,
);

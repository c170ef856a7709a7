/** The signed-in user, for pages that offer actions by role. */
import { createContext, useContext } from "react";
import type { Me } from "../../lib/session";

export const MeContext = createContext<Me | undefined>(undefined);
export function useSignedIn(): Me {
  const me = useContext(MeContext);
  if (!me) throw new Error("useSignedIn outside the signed-in app");
  return me;
}

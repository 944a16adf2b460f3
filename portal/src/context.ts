import { createContext } from 'preact';
import { useContext } from 'preact/hooks';

import type { Schemas } from './api';
import type { PortalConfig } from './config';
import type { Space } from './spaces';

export interface PortalState {
  config: PortalConfig;
  me: Schemas['Me'];
  spaces: Space[];
  space: Space;
  chooseSpace: (ins: string) => void;
  refreshMe: () => Promise<void>;
  signOut: (message?: string) => void;
}

export const Portal = createContext<PortalState | null>(null);

export function usePortal(): PortalState {
  const state = useContext(Portal);
  if (!state) throw new Error('usePortal outside the signed-in portal');
  return state;
}

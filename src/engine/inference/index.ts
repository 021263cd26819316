export * from './model';
export * from './normalize';
export * from './providers';
export * from './towers';

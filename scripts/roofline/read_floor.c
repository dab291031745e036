// The floor under one-sample inference: how long one core takes just to read N bytes that sit in its
// caches (sizes from 16 KB to 4 MB, the best of five passes each), with eight independent AVX-512
// accumulators and nothing else. mlp_infer_b1's Float32 weights are 0.94 MB: no kernel that reads them
// once per sample can be faster than the 939 KB row here.
//
//   gcc -O2 scripts/roofline/read_floor.c -o /tmp/read_floor && /tmp/read_floor
#include <immintrin.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
static double now(void){struct timespec t;clock_gettime(CLOCK_MONOTONIC,&t);return t.tv_sec+t.tv_nsec*1e-9;}
__attribute__((noinline,target("avx512f"))) float rd(const float*p,long n){
  __m512 a0=_mm512_setzero_ps(),a1=a0,a2=a0,a3=a0,a4=a0,a5=a0,a6=a0,a7=a0;
  for(long i=0;i<n;i+=128){
    a0=_mm512_add_ps(a0,_mm512_load_ps(p+i));a1=_mm512_add_ps(a1,_mm512_load_ps(p+i+16));
    a2=_mm512_add_ps(a2,_mm512_load_ps(p+i+32));a3=_mm512_add_ps(a3,_mm512_load_ps(p+i+48));
    a4=_mm512_add_ps(a4,_mm512_load_ps(p+i+64));a5=_mm512_add_ps(a5,_mm512_load_ps(p+i+80));
    a6=_mm512_add_ps(a6,_mm512_load_ps(p+i+96));a7=_mm512_add_ps(a7,_mm512_load_ps(p+i+112));}
  a0=_mm512_add_ps(_mm512_add_ps(_mm512_add_ps(a0,a1),_mm512_add_ps(a2,a3)),_mm512_add_ps(_mm512_add_ps(a4,a5),_mm512_add_ps(a6,a7)));
  return _mm512_reduce_add_ps(a0);
}
int main(){
  long sizes[]={16*1024,200*1024,400*1024,600*1024,803*1024,939*1024,1200*1024,4000*1024};
  for(int s=0;s<8;s++){ long bytes=sizes[s]; long n=bytes/4/128*128;
    float*p=aligned_alloc(64,n*4); for(long i=0;i<n;i++)p[i]=1;
    int reps=(int)(2e9/bytes); float acc=0; rd(p,n);
    double best=1e9; for(int r=0;r<5;r++){double t0=now(); for(int i=0;i<reps;i++) {acc+=rd(p,n); __asm__ volatile("" ::: "memory");} double t=(now()-t0)/reps; if(t<best)best=t;}
    printf("%8ld KB  %.2f us  %.1f GB/s (%g)\n",bytes/1024,best*1e6,n*4/best/1e9,acc>0?1.0:0.0); free(p);}
}
